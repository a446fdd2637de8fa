import { render } from 'preact';
import { App } from './App';
import { Controller } from './controller';
import './styles.css';

const controller = new Controller();
render(<App controller={controller} />, document.getElementById('app')!);
void controller.start();
